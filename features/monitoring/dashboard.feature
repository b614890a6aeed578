@monitoring @fixture.monitoring
Feature: The dashboard shows the traffic in every panel
  As an operator who opens the stack's Grafana dashboard
  I want every panel to show what the stack has served
  So that an empty or flat panel means an idle stack, never a broken query

  The dashboard's queries are run against Prometheus the way Grafana would run them: with the
  model variable set to the model under test and $__rate_interval computed from the scrape interval.

  Rule: The dashboard covers what an operator watches, for one model or all

    Scenario: The dashboard lets the operator pick a model
      When the stack's dashboard is read
      Then it has a "model" template variable

  Rule: Every panel shows the traffic the stack served

    The traffic is known: rounds of one streamed chat answer and one bad request for the model under test, so half
    of the requests fail. A panel that shows a flat 0 after it, or a series for another model, is broken.

    @needs.prometheus
    Scenario Outline: The <panel> panel shows <expectation>
      Given the stack has streamed chat answers and refused a bad request since monitoring started
      When the queries of the "<panel>" panel run against Prometheus
      Then every query of the panel shows <expectation>

      Examples:
        | panel               | expectation               |
        | Request rate        | a value above zero        |
        | Error ratio         | the share of bad requests |
        | Time to first token | a value above zero        |
        | Inter-token latency | a value above zero        |
        | Tokens per second   | a value above zero        |
        | Queue depth         | a value                   |
        | In-flight requests  | a value                   |
        | Memory              | a value above zero        |
        | CPU                 | a value above zero        |
        | Models loaded       | a value above zero        |
        | Request duration    | a value above zero        |
        | Targets up          | a value above zero        |

    @needs.prometheus
    Scenario Outline: The histogram behind the <panel> panel counted every <observation>
      Given the stack has streamed chat answers and refused a bad request since monitoring started
      When the histogram behind the "<panel>" panel is compared before and after the traffic
      Then it counted exactly <count> more observations

      Examples:
        | panel               | observation          | count |
        | Time to first token | streamed answer      | 3     |
        | Request duration    | request, bad or good | 6     |

  Rule: Grafana serves the dashboard

    @needs.grafana
    Scenario: Grafana is healthy and has the dashboard provisioned
      When Grafana is asked for its health and for the stack's dashboard
      Then Grafana reports its database ok
      And the dashboard "mistralrs-stack" is provisioned

    @needs.grafana @needs.prometheus
    Scenario: A panel query through Grafana's data source returns data
      Given the stack has streamed chat answers and refused a bad request since monitoring started
      When the "Request rate" panel's query runs through Grafana's data source
      Then Grafana returns at least one series with data
