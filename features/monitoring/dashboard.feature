@monitoring @fixture.monitoring
Feature: The dashboard shows data in every panel
  As an operator who opens the stack's Grafana dashboard
  I want every panel to show data once the stack has served requests
  So that an empty panel means an idle stack, never a broken query

  The dashboard's queries are run against Prometheus the way Grafana would run them: with the
  model variable set to the model under test and $__rate_interval computed from the scrape interval.

  Rule: the dashboard covers what an operator watches, for one model or all

    Scenario: the dashboard lets the operator pick a model
      When the stack's dashboard is read
      Then it has a "model" template variable

  Rule: every panel has data after traffic

    @needs.prometheus
    Scenario Outline: the <panel> panel shows data
      Given the stack has streamed chat answers and refused a bad request since monitoring started
      When the queries of the "<panel>" panel run against Prometheus
      Then every query of the panel returns a series with data

      Examples:
        | panel               |
        | Request rate        |
        | Error ratio         |
        | Time to first token |
        | Inter-token latency |
        | Tokens per second   |
        | Queue depth         |
        | In-flight requests  |
        | Memory              |
        | CPU                 |
        | Models loaded       |
        | Request duration    |
        | Targets up          |

  Rule: Grafana serves the dashboard

    @needs.grafana
    Scenario: Grafana is healthy and has the dashboard provisioned
      When Grafana is asked for its health and for the stack's dashboard
      Then Grafana reports its database ok
      And the dashboard "mistralrs-stack" is provisioned

    @needs.grafana @needs.prometheus
    Scenario: a panel query through Grafana's data source returns data
      Given the stack has streamed chat answers and refused a bad request since monitoring started
      When the "Request rate" panel's query runs through Grafana's data source
      Then Grafana returns at least one series with data
