@monitoring @fixture.monitoring @slow
Feature: Alerts fire, reach the receiver and resolve
  As an operator on call for the stack
  I want an alert to reach me when the stack is down, failing or full, and a resolution when it recovers
  So that I act on real trouble and know when it is over

  The suite runs the stack's own rules and Alertmanager routing, time-compressed (every interval,
  window and `for:` divided by the same factor), against the stack it started: processes, or containers
  with `--target docker`, where stopping the gateway stops its container. Each bound below is derived from those intervals:
  a scrape, an evaluation, the rule's `for:`, Alertmanager's group_wait and group_interval.

  Rule: an alert goes pending, fires, reaches the webhook, and resolves when the condition ends

    @needs.prometheus @needs.alertmanager @needs.stack_control @critical
    Scenario: the gateway going down raises GatewayDown, and its return resolves it
      Given the gateway has been stopped
      Then the "GatewayDown" alert goes pending, then firing, within its bounds
      And the webhook receives the "GatewayDown" firing notification through Alertmanager
      When the gateway is started again
      Then the webhook receives the "GatewayDown" resolved notification within its bound

    @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario: bad requests raise HighErrorRatio
      When clients send only bad requests for 6 scrape intervals
      Then the "HighErrorRatio" alert goes pending, then firing, within its bounds
      And the webhook receives the "HighErrorRatio" firing notification through Alertmanager

    @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario: a queue filled past its bound raises QueueFull
      Given the gateway runs with room for 1 waiting request and 1 slot
      When 4 clients ask for long answers at once
      Then at least one of them is refused with 503
      And the "QueueFull" alert goes pending, then firing, within its bounds
      And the webhook receives the "QueueFull" firing notification through Alertmanager
