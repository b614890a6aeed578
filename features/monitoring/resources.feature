@monitoring @fixture.monitoring
Feature: Resource metrics match the operating system
  As an operator sizing a host for the stack
  I want the gateway's memory and CPU metrics to match what the operating system sees
  So that the memory alert and the CPU panel can be trusted

  Rule: memory and CPU are measured, not estimated

    @needs.prometheus @needs.own_gateway
    Scenario: resident memory agrees with the operating system within 10%
      When Prometheus scrapes the gateway
      Then the gateway's resident memory metric is within 10% of the RSS the operating system reports

    @needs.prometheus
    Scenario: CPU time rises while the gateway generates
      When a client asks for a 32-token answer
      Then the gateway's CPU seconds rose
