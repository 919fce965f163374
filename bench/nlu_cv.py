"""Stratified k-fold cross-validation of the NLU pipeline, reported per language tag.

    .venv-rasa/bin/python -m bench.nlu_cv [--folds 3] [CONFIG ...]

Each training example carries its language tag (block metadata `lang`: en, hi, kn, hinglish).
Folds are stratified by (intent, tag) with a fixed seed, so numbers are comparable between
configurations and runs. Accuracy counts the top real intent; beside it, the fallback rate
(messages the FallbackClassifier answers with "I did not understand") and the wrong-answer rate
(messages answered confidently with the wrong intent).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import structlog
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
TAGS = ("en", "hi", "kn", "hinglish")


def load_examples() -> list[tuple[str, str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"))
    examples = []
    for message in data.intent_examples:
        metadata = message.get("metadata") or {}
        tag = (metadata.get("intent") or {}).get("lang", "untagged")
        examples.append((message.get("text"), message.get("intent"), tag))
    return examples


def folds(examples: list[tuple[str, str, str]], k: int, seed: int = 42) -> list[list[int]]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, (_, intent, tag) in enumerate(examples):
        groups[(intent, tag)].append(index)
    assignment: list[list[int]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    for key in sorted(groups):
        members = groups[key][:]
        rng.shuffle(members)
        for position, index in enumerate(members):
            assignment[position % k].append(index)
    return assignment


def write_nlu(examples: list[tuple[str, str, str]], path: Path) -> None:
    import yaml

    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent, _ in examples:
        by_intent[intent].append(text)
    blocks = [{"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)} for intent, texts in sorted(by_intent.items())]
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, sort_keys=False), encoding="utf-8")


async def predict(model_path: str, texts: list[str]) -> list[tuple[str, bool]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    results = []
    for text in texts:
        parsed = await agent.parse_message(text)
        ranking = [r["name"] for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
        results.append((ranking[0] if ranking else "", parsed["intent"]["name"] == "nlu_fallback"))
    return results


def evaluate(config: Path, k: int) -> dict[str, dict[str, float]]:
    from rasa.model_training import train_nlu

    examples = load_examples()
    gold: dict[str, list[str]] = defaultdict(list)
    predicted: dict[str, list[str]] = defaultdict(list)
    fallbacks: dict[str, int] = defaultdict(int)
    wrong_answers: dict[str, int] = defaultdict(int)  # answered (no fallback) with the wrong intent
    train_seconds = []
    for fold_number, test_indices in enumerate(folds(examples, k), start=1):
        test_set = set(test_indices)
        train = [e for i, e in enumerate(examples) if i not in test_set]
        test = [examples[i] for i in test_indices]
        with tempfile.TemporaryDirectory() as tmp:
            nlu_file = Path(tmp) / "nlu.yml"
            write_nlu(train, nlu_file)
            started = time.monotonic()
            model = train_nlu(str(config), str(nlu_file), str(Path(tmp) / "models"), fixed_model_name="fold")
            train_seconds.append(time.monotonic() - started)
            results = asyncio.run(predict(model, [text for text, _, _ in test]))
        for (_, intent, tag), (guess, fell_back) in zip(test, results, strict=True):
            for bucket in (tag, "all"):
                gold[bucket].append(intent)
                predicted[bucket].append(guess)
                fallbacks[bucket] += fell_back
                wrong_answers[bucket] += (not fell_back) and guess != intent
        print(f"  fold {fold_number}/{k}: trained in {train_seconds[-1]:.0f} s", flush=True)

    report = {}
    for bucket in (*TAGS, "all"):
        if not gold[bucket]:
            continue
        total = len(gold[bucket])
        correct = sum(g == p for g, p in zip(gold[bucket], predicted[bucket], strict=True))
        report[bucket] = {
            "n": total,
            "accuracy": correct / total,
            "macro_f1": f1_score(gold[bucket], predicted[bucket], average="macro", zero_division=0),
            "fallback_rate": fallbacks[bucket] / total,
            # What a citizen meets: a confident wrong answer is worse than "I did not understand".
            "wrong_answer_rate": wrong_answers[bucket] / total,
        }
    report["_train_seconds"] = {"median": statistics.median(train_seconds)}
    return report


def print_report(name: str, report: dict[str, dict[str, float]]) -> None:
    print(f"\n{name}: {args.folds}-fold cross-validation (median NLU training {report['_train_seconds']['median']:.0f} s)")
    print(f"  {'language':<10}{'examples':>9}{'accuracy':>10}{'macro-F1':>10}{'fallback':>10}{'wrong':>8}")
    for bucket in (*TAGS, "all"):
        if bucket in report:
            row = report[bucket]
            print(
                f"  {bucket:<10}{row['n']:>9}{row['accuracy']:>10.3f}{row['macro_f1']:>10.3f}"
                f"{row['fallback_rate']:>10.3f}{row['wrong_answer_rate']:>8.3f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("configs", nargs="*", default=[str(ROOT / "config.yml")])
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    # Rasa logs every parse through structlog; the table is all this prints.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for config in args.configs:
        print(f"cross-validating {Path(config).relative_to(ROOT) if Path(config).is_absolute() else config} ...", flush=True)
        print_report(str(config), evaluate(Path(config).resolve(), args.folds))
