"""Ocean Node (C2D v2) protocol pieces: pure parsers and rules, and the HTTP routes in `client`.

Everything here follows ../shared/reference/ocean-node-api.md (ocean-node 3.x); the names are the
node's own (statusText, dateFinished, terminationDetails, results[].type, free, fees...).
"""
