@reliability @ollama
Feature: A fault costs only the requests it touches, and the stack comes back whole
  As an operator moving a local LLM stack from Ollama to mistral.rs
  I want an engine that dies, clients that leave and a gateway that is killed to cost only what they must
  So that the stack keeps serving through the faults a real machine sees

  An engine that dies mid-stream ends the stream with an error line, and the gateway says its engine is
  down until it can serve again. Clients that hang up free their slots, their queue places and their
  connections. A gateway killed outright restarts with its model store whole. Runner processes killed busy or
  idle are in reliability/runners.feature, SIGKILL during model management in models/crash_safety.feature.

  Background:
    Given the model under test has given its answer to a reference prompt

  Rule: An upstream engine that dies fails only the requests it was serving

    @needs.local_stack @critical
    Scenario: When the upstream server dies mid-stream, the stream ends with an error line and the next request succeeds once it is back
      Given the cpu-2core profile's fault bounds: an error line within 15 s, a restart within 60 s, an alert back within 90 s
      And a gateway with the openai engine serves through an upstream gateway
      And a long streamed generation through it is under way
      When the upstream server is killed
      Then the stream ends with an error line within the profile's bound
      And the gateway reports its engine down
      And once the upstream server is back, the next request succeeds and the engine is reported up

  Rule: Clients that hang up leave nothing behind

    @needs.own_gateway @critical
    Scenario: Clients that hang up mid-stream leave no slot, queued request, runner work or memory behind
      Given the cpu-2core profile's short hang-up count: 20 clients, 5 at a time, everything released within 10 s, memory growth under 32 MiB
      When the "short" count of clients each start a streamed generation and hang up after its first chunk
      Then every client got a first chunk before hanging up
      And within the profile's time the gateway holds no slot, queued request or runner work for them
      And the gateway's memory grew less than the profile's bound for hung-up clients
      And the same gateway process gives the same answer to the reference prompt

    @slow @long @needs.own_gateway
    Scenario: Many more clients that hang up mid-stream leave nothing behind either
      Given the cpu-2core profile's long hang-up count: 100 clients, 10 at a time, everything released within 10 s, memory growth under 32 MiB
      When the "long" count of clients each start a streamed generation and hang up after its first chunk
      Then every client got a first chunk before hanging up
      And within the profile's time the gateway holds no slot, queued request or runner work for them
      And the gateway's memory grew less than the profile's bound for hung-up clients
      And the same gateway process gives the same answer to the reference prompt

  Rule: A gateway killed outright restarts with its store whole

    @needs.stack_control
    Scenario: A gateway killed outright during a generation restarts with the same models and gives the same answer
      Given the installed models are noted
      And a long streamed generation is under way
      When the gateway is killed with SIGKILL and started again
      Then the stream was cut without a final chunk
      And the restarted gateway lists the same models, and shows each of them
      And the restarted gateway gives the same answer to the reference prompt

  Rule: Monitoring restarted during a run loses no alert that was firing

    @slow @monitoring @fixture.monitoring @needs.prometheus @needs.alertmanager @needs.stack_control
    Scenario Outline: <server> restarted while GatewayDown is firing keeps it firing, with no false resolve
      Given the cpu-2core profile's fault bounds: an error line within 15 s, a restart within 60 s, an alert back within 90 s
      And the gateway has been stopped
      Then the "GatewayDown" alert goes pending, then firing, within its bounds
      When <server> is restarted while "GatewayDown" fires
      Then within the profile's bound "GatewayDown" is firing again in the restarted Prometheus and held by Alertmanager
      And the webhook received no resolved notification for "GatewayDown" while the gateway was down

      Examples:
        | server       |
        | Prometheus   |
        | Alertmanager |
