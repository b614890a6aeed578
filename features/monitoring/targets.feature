@monitoring @fixture.monitoring
Feature: Prometheus scrapes every part of the stack
  As an operator of the stack
  I want Prometheus to scrape the gateway, itself and Alertmanager
  So that the dashboard and the alerts have data to work from

  Prometheus scrapes each part under the job name that the alert rules and the dashboard select on.
  The gateway serves what it measured and counted itself (gateway_*) and, where the engine reports its own
  counts and times, those as the engine reported them (engine_*).

  Rule: Every target is scraped

    @needs.prometheus @critical
    Scenario Outline: The <job> target is up, with the labels the dashboard expects
      When Prometheus is asked for its scrape targets
      Then the <job> target is up with the service label "<service>"

      Examples:
        | job          | service         |
        | gateway      | mistralrs-stack |
        | prometheus   | monitoring      |
        | alertmanager | monitoring      |
        | webhook      | suite           |

  Rule: The gateway exports both families of metrics

    @needs.prometheus
    Scenario Outline: Prometheus holds <metric> from the gateway
      Given the stack has streamed chat answers and refused a bad request since monitoring started
      When Prometheus is asked which metrics the gateway job has
      Then <metric> is among them

      Examples: the gateway's own request metrics
        | metric                                  |
        | gateway_requests_total                  |
        | gateway_request_duration_seconds_bucket |
        | gateway_requests_in_flight              |
        | gateway_requests_queued                 |
        | gateway_engine_up                       |

      Examples: what the gateway measured of each generation
        | metric                                     |
        | gateway_time_to_first_token_seconds_bucket |
        | gateway_inter_token_latency_seconds_bucket |
        | gateway_generation_tokens_total            |
        | gateway_generations_finished_total         |
        | gateway_parallel_capacity                  |

      @needs.engine_timings
      Examples: what the engine reported of each generation
        | metric                          |
        | engine_prompt_tokens_total      |
        | engine_generation_tokens_total  |
        | engine_prompt_seconds_total     |
        | engine_generation_seconds_total |

      Examples: the process
        | metric                        |
        | process_resident_memory_bytes |
        | process_cpu_seconds_total     |
