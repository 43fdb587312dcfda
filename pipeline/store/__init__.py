"""Every query, as a named function with a comment saying why it is written that way.

One module per table family: ``sources``, ``links`` (links and quotes), ``issues``,
``subscribers``, ``deliveries``, ``jobs``. Functions take the session (or engine) as an
argument; nothing here opens connections on its own.
"""
