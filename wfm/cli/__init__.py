"""The `wfm` command line: `main` joins one module per command group; `options` holds
the options they share and `common` the error-to-exit-code mapping.
"""
