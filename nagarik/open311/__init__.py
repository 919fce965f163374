"""Open311 GeoReport v2 (https://www.open311.org/GeoReport/v2/): the wire formats (formats) and the
service behind them (requests), which lists the catalog's grievance categories as services and
files service requests as ordinary grievances. The HTTP layer is nagarik.web.open311."""
