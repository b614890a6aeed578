@monitoring @fixture.monitoring
Feature: Prometheus scrapes every part of the stack
  As an operator of the stack
  I want Prometheus to scrape the gateway, itself and Alertmanager
  So that the dashboard and the alerts have data to work from

  Prometheus scrapes each part under the job name that the alert rules and the dashboard select on.
  The gateway serves its own request metrics (gateway_*) and the engine metrics under the names
  `mistralrs serve` uses (mistralrs_*), so one dashboard serves both.

  Rule: every target is scraped

    @needs.prometheus @critical
    Scenario Outline: the <job> target is up, with the labels the dashboard expects
      When Prometheus is asked for its scrape targets
      Then the <job> target is up with the service label "<service>"

      Examples:
        | job          | service         |
        | gateway      | mistralrs-stack |
        | prometheus   | monitoring      |
        | alertmanager | monitoring      |

  Rule: the gateway exports both families of metrics

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

      Examples: the engine metrics under mistral.rs's names
        | metric                                       |
        | mistralrs_time_to_first_token_seconds_bucket |
        | mistralrs_inter_token_latency_seconds_bucket |
        | mistralrs_tokens_processed_total             |
        | mistralrs_sequences_running                  |
        | mistralrs_sequences_waiting                  |
        | mistralrs_sequences_capacity                 |
        | mistralrs_sequences_completed_total          |

      Examples: the process
        | metric                        |
        | process_resident_memory_bytes |
        | process_cpu_seconds_total     |
