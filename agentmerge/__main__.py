import gc

gc.disable()  # until run() freezes what the command line loads: it lasts as long as the process
from .cli import run  # noqa: E402

run()
