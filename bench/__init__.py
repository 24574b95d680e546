"""``make bench``: the figures the issue asks for, each beside its baseline from the same run.

Run with ``.venv/bin/python -m bench`` (``--only writes,board`` for a subset, ``--list`` for
the keys, ``--dir PATH`` to put the scratch databases on another disk). A measure is a
function ``(Env) -> list[Row]`` registered in ``bench.measures.MEASURES``; the table, the
statistics and the interleaved sampler live in ``bench.core``.

Exit status: 0 when every measure ran, whatever the figures; 1 when one crashed.
"""
