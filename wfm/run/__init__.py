"""`wfm run`: the nightly runner (`runner`), its stages (`stages`), the runs folder and
its lock (`folders`) and the manifest (`manifest`); with ``--sites``, many sites in one
night: the sites file (`sites`), one site's run (`site_run`), the engines that run them
in parallel (`backends`: local processes or Ray, with `transfer` moving files as bytes)
and the group's driver and manifest (`group`).
"""
