"""Meta's limits for messages a business sends (see shared/reference/whatsapp-cloud-api.md §2).

Where sources disagree the stricter figure is used (list section titles: 20, not 24).
"""

TEXT_BODY = 4096
INTERACTIVE_BODY = 1024
HEADER = 60
FOOTER = 60
REPLY_BUTTONS = 3
BUTTON_TITLE = 20
BUTTON_ID = 256
LIST_BUTTON = 20
LIST_ROWS = 10
LIST_SECTIONS = 10
LIST_SECTION_TITLE = 20
ROW_TITLE = 24
ROW_DESCRIPTION = 72
ROW_ID = 200
CAPTION = 1024
DOCUMENT_FILENAME = 240

# Largest webhook body accepted; Meta's payloads stay under 3 MB.
MAX_WEBHOOK_BYTES = 3 * 1024 * 1024
# What a webhook item may carry to be kept (whatsapp.inbound): ids (wamids, media ids, callback data)
# and senders fit the store's columns (whatsapp/cloud/store.py); Meta's are far shorter. A citizen's
# text beyond INBOUND_TEXT is cut: no question needs more, and the NLU's time grows with the text.
INBOUND_ID = 191
INBOUND_SENDER = 64
INBOUND_TEXT = 4096

# Media a citizen may send as grievance evidence: kind -> (largest size, MIME types we keep).
EVIDENCE_MEDIA = {
    "image": (5 * 1024 * 1024, ("image/jpeg", "image/png")),
    "video": (16 * 1024 * 1024, ("video/mp4", "video/3gpp")),
    "document": (16 * 1024 * 1024, ("application/pdf",)),
}
CUSTOMER_SERVICE_WINDOW_SECONDS = 24 * 60 * 60
