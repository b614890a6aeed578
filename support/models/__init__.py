"""Model management from the outside: gateways with stores of their own, a real registry, and store checks.

- ``gateway``: a gateway the suite starts on its own store, and may kill with SIGKILL and restart.
- ``registry``: Debian's docker-registry (CNCF distribution) on a free loopback port, and a server answering garbage.
- ``store``: what a store on disk holds, and everything that would make it inconsistent.
- ``transfer``: blob uploads (whole, wrong or cut short) and progress streams read line by line.
"""
