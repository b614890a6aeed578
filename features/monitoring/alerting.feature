@monitoring @fixture.monitoring @slow
Feature: Alerts fire, reach the receiver and resolve
  As an operator on call for the stack
  I want an alert to reach me when the stack is down, failing, slow, full or short of memory, and a resolution when it recovers
  So that I act on real trouble and know when it is over

  The suite runs the stack's own rules and Alertmanager routing, time-compressed (every interval,
  window and `for:` divided by the same factor), against the stack it started: processes, or containers
  with `--target docker`, where stopping the gateway stops its container. Each bound below is derived from those intervals:
  a scrape, an evaluation, the rule's `for:` and range window, Alertmanager's group_wait and group_interval.
  Where a small model cannot cross a threshold meant for a real host, the scenario measures two figures,
  renders the rule with a threshold between them for itself alone and reloads Prometheus.

  Rule: A healthy stack fires no alert

    @needs.prometheus @needs.alertmanager @needs.stack_control @critical
    Scenario: Ordinary traffic on a healthy stack fires none of the alerts
      Given the model under test has answered a prompt
      When clients chat with the model until any alert they set off would have fired
      Then none of the stack's alerts fired
      And the webhook received no notification meanwhile

  Rule: An alert goes pending, fires, reaches the webhook, and resolves when the condition ends

    @needs.prometheus @needs.alertmanager @needs.stack_control @critical
    Scenario: The gateway going down raises GatewayDown, and its return resolves it
      Given the gateway has been stopped
      Then the "GatewayDown" alert goes pending, then firing, within its bounds
      And the webhook receives the "GatewayDown" firing notification through Alertmanager
      When the gateway is started again
      Then the webhook receives the "GatewayDown" resolved notification within its bound

    @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario: Bad requests raise HighErrorRatio until they stop
      When clients send only bad requests for 6 scrape intervals
      Then the "HighErrorRatio" alert goes pending, then firing, within its bounds
      And the webhook receives the "HighErrorRatio" firing notification through Alertmanager
      And the webhook receives the "HighErrorRatio" resolved notification within its bound

    @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario: A queue filled past its bound raises QueueFull until the refusals leave the window
      Given the gateway runs with room for 1 waiting request and 1 slot
      When 4 clients ask for long answers at once
      Then at least one of them is refused with 503
      And the "QueueFull" alert goes pending, then firing, within its bounds
      And the webhook receives the "QueueFull" firing notification through Alertmanager
      And the webhook receives the "QueueFull" resolved notification within its bound

    @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario: Requests waiting while every slot is busy raise QueueSaturated until the clients stop
      Given the gateway runs with room for 4 waiting requests and 1 slot
      When 3 clients keep asking for long answers
      Then the "QueueSaturated" alert goes pending, then firing, within its bounds
      And the webhook receives the "QueueSaturated" firing notification through Alertmanager
      When the clients stop
      Then the webhook receives the "QueueSaturated" resolved notification within its bound

    @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario: A runner killed raises EngineDown, and the model served again resolves it
      Given the model under test has answered a prompt
      When the runner serving the model is killed
      Then the "EngineDown" alert goes pending, then firing, within its bounds
      And the webhook receives the "EngineDown" firing notification through Alertmanager
      When the model answers a request again
      Then the webhook receives the "EngineDown" resolved notification within its bound

    @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario: A model no engine can load, asked for repeatedly, raises ModelLoadFailing until the failures leave the window
      Given a model file that no engine can load is installed
      When a client asks that model for an answer 3 times, 2 scrape intervals apart
      Then the "ModelLoadFailing" alert goes pending, then firing, within its bounds
      And the webhook receives the "ModelLoadFailing" firing notification through Alertmanager
      And the webhook receives the "ModelLoadFailing" resolved notification within its bound

    @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario: Long prompts slower to a first token than the threshold raise SlowTimeToFirstToken until they stop
      Given the "SlowTimeToFirstToken" threshold lies under a long prompt's first-token time
      When clients keep sending long prompts
      Then the "SlowTimeToFirstToken" alert goes pending, then firing, within its bounds
      And the webhook receives the "SlowTimeToFirstToken" firing notification through Alertmanager
      When the clients stop
      Then the webhook receives the "SlowTimeToFirstToken" resolved notification within its bound

    @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario: Memory over the threshold only with the runners counted raises HighMemory, and unloading the model resolves it
      Given the model under test has answered a prompt
      When the "HighMemory" threshold is set between the gateway's memory alone and with its runners'
      Then the "HighMemory" alert goes pending, then firing, within its bounds
      And the webhook receives the "HighMemory" firing notification through Alertmanager
      When the model is unloaded
      Then the webhook receives the "HighMemory" resolved notification within its bound

    @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario: A target that answers garbage raises ScrapeFailing, and valid metrics resolve it
      When the webhook receiver's metrics endpoint answers garbage
      Then the "ScrapeFailing" alert goes pending, then firing, within its bounds
      And the webhook receives the "ScrapeFailing" firing notification through Alertmanager
      When the endpoint answers metrics again
      Then the webhook receives the "ScrapeFailing" resolved notification within its bound
