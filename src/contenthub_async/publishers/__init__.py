"""Publishers: where an approved article goes (``dir:PATH``, ``exec:COMMAND``, ``http(s)://URL``),
behind one port (:mod:`.port`); :mod:`.specs` reads a spec, :mod:`.registry` builds them."""
