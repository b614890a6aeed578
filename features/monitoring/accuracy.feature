@monitoring @fixture.monitoring
Feature: Metrics count exactly what clients saw
  As an operator who reads the dashboard
  I want every counter to rise by exactly what the stack did
  So that what the numbers say about the stack is true

  Each scenario reads Prometheus after a scrape, sends known requests, waits for the next
  scrape and reads again. Counters must rise by exactly the number of requests or tokens.

  Rule: Request counters rise by exactly the requests sent, errors included

    @needs.prometheus
    Scenario Outline: <count> <kind> requests raise the request counter by <count>
      When a client sends <count> <kind> requests
      Then the request counter for <endpoint> with status <status> rose by exactly <count>

      Examples:
        | count | kind          | endpoint             | status |
        | 2     | chat          | /api/chat            | 200    |
        | 2     | generate      | /api/generate        | 200    |
        | 1     | openai chat   | /v1/chat/completions | 200    |
        | 2     | bad chat      | /api/chat            | 400    |
        | 1     | unknown model | /api/chat            | 404    |

  Rule: Token counters and latency histograms agree with what clients received

    @needs.prometheus
    Scenario: Token counters add up to the counts clients were told
      When a client streams 2 chat answers
      Then the prompt token counter rose by the sum of the answers' prompt_eval_count
      And the generated token counter rose by the sum of their eval_count

    @needs.prometheus
    Scenario: Latency histograms count every answer, and time to first token matches the client's
      When a client streams 2 chat answers
      Then the gateway_e2e_request_latency_seconds histogram counted exactly 2 more observations
      And the gateway_time_to_first_token_seconds histogram counted exactly 2 more observations
      And the mean time to first token in the metrics is within 0.25 s of the client's

  Rule: The engine's own figures are published as the engine reported them, and agree with the client

    @needs.prometheus @needs.engine_timings
    Scenario: The engine's token counts and times agree with what the client measured
      When a client streams 2 chat answers
      Then the engine's token counters rose by the answers' prompt_eval_count and eval_count
      And the engine's prompt and generation seconds rose by more than nothing and less than the client waited

  Rule: Prometheus stores what the gateway serves

    @needs.prometheus @needs.own_gateway
    Scenario: Every gateway and engine sample Prometheus stored equals the one /metrics served
      Given the gateway has answered a chat request
      When Prometheus scrapes the gateway once more
      Then every gateway_* and engine_* sample in Prometheus equals the one /metrics serves
