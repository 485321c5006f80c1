"""`wfm run`: the nightly runner (`runner`), its stages (`stages`), the runs folder and
its lock (`folders`) and the manifest (`manifest`).
"""
