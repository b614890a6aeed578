@performance @benchmark
Feature: The same measurement from several load machines with Locust
  As an operator whose one load machine cannot saturate the stack
  I want Locust's master and workers to run our per-request measurement
  So that load from several machines is measured exactly as load from one

  Each worker is a process of its own (Locust's gevent patches the process); its users measure every streamed
  request as the asyncio generator does and hand the records to the master with their statistics. The metrics
  come from the merged records, not from Locust's rounded percentiles. Here the master and two workers run on
  loopback; docs/performance.md shows the same commands for several machines.

  Scenario: A master and two workers measure the stack together, and the master holds a record of every request the workers made
    When Locust runs streamed chat requests from a master and 2 workers for 20 seconds against the stack
    Then every request the workers measured has its record on the master, from both workers
    And the metrics from the merged records show no failed request and a first token before the last
