"""``python -m yuqing``: the yuqing command line (the same as the ``yuqing`` script)."""

from yuqing.pipeline.cli.main import main

main()
