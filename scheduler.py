"""The main job's entry point, as the design card names it: the same as `linkletter run`.

    python scheduler.py [--dir DIR] [--host HOST] [--port PORT]
    python -m scheduler ...            (installed: the wheel ships this module)

The main job itself lives in ``pipeline/mainjob/``; nothing in the package imports this file.
"""

from pipeline.cli.run import scheduler_main as main

if __name__ == "__main__":
    main()
