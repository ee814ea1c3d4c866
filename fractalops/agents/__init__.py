"""Squad agents: one small spec + node function per agent; `registry` lists Core-8 and the packs."""
