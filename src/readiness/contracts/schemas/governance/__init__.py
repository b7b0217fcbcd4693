"""Schema governance (handbook 21.5, 21.7, Q9, Q11, Q22): pure rules (:mod:`.policy`,
:mod:`.presence`, :mod:`.evaluation`) and the use cases over the registry (:mod:`.service`,
:mod:`.telemetry`)."""
