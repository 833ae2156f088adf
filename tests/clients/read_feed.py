"""Reads a feed as feed readers do, with feedparser. Usage: read_feed.py URL
Prints one JSON line: the feed's version, whether it was well-formed, and its entries."""
import json
import sys

import feedparser

d = feedparser.parse(sys.argv[1])
print(json.dumps({
    "version": d.get("version"),
    "bozo": bool(d.get("bozo")),
    "bozo_exception": str(d.get("bozo_exception", "")),
    "title": d.feed.get("title"),
    "entries": [{"title": e.get("title"), "link": e.get("link"), "id": e.get("id"),
                 "summary": e.get("summary") or (e.get("content") or [{}])[0].get("value")} for e in d.entries],
}))
