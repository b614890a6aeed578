@monitoring @fixture.monitoring
Feature: Resource metrics match the operating system
  As an operator sizing a host for the stack
  I want the memory and CPU metrics of the gateway and of each model's runner to match what the operating system sees
  So that the memory alert and the CPU panel can be trusted

  The models run in runner processes of their own, so their figures are the runners' (gateway_runner_*), and the
  gateway's own process is checked apart (process_*). CPU is measured against an idle baseline taken in the same
  scenario, and each figure is cross-checked against /proc.

  Rule: Memory is measured, not estimated

    @needs.prometheus @needs.own_gateway
    Scenario: The gateway's resident memory agrees with the operating system within 10%
      When Prometheus scrapes the gateway
      Then the gateway's resident memory metric is within 10% of the RSS the operating system reports

    @needs.prometheus @needs.own_gateway
    Scenario: A runner's resident memory agrees with the operating system within 10%
      Given the model under test has answered a prompt
      When Prometheus scrapes the runner serving the model
      Then the runner's resident memory metric is within 10% of the RSS the operating system reports

  Rule: CPU rises with the work, against an idle baseline, as /proc counts it

    @needs.prometheus @needs.own_gateway
    Scenario: The runner's CPU rises while it generates, and its metric matches /proc
      Given the model under test has answered a prompt
      When the runner serving the model idles, then generates, for 4 scrape intervals each
      Then its CPU while generating exceeds its idle CPU by at least 0.2 cores
      And its CPU metric rose by what /proc reports, idle and generating

  Rule: The gateway's own process is measured apart from its runners

    The gateway itself does little of the work (about 0.01 cores, idle or serving, on a 2-core host), so its own
    figures are held to /proc, not to a rise over its idle baseline.

    @needs.prometheus @needs.own_gateway
    Scenario: The gateway's own CPU metric matches /proc, idle and serving generations
      Given the model under test has answered a prompt
      When the gateway idles, then generates, for 4 scrape intervals each
      Then its CPU seconds rose while it served the generations
      And its CPU metric rose by what /proc reports, idle and generating
