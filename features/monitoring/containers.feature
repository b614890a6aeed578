@monitoring @needs.docker
Feature: The gateway container is charged for its work and can be frozen
  As an operator running the stack with Docker Compose
  I want docker's own figures and controls for the gateway container to follow what it does
  So that container limits, dashboards and maintenance built on docker can be trusted

  The suite reads the container's CPU time as `docker stats` does (the cgroup's counter) and
  pauses it as `docker pause` does, through the stack driver; a generation is compared with an
  idle spell of the same length, measured in the same run.

  Rule: The container is charged for generating

    @normal
    Scenario: The gateway container uses more CPU time generating than idling as long
      Given the gateway has loaded the model
      When a client asks the gateway container for a 32-token answer
      Then the container used more CPU time generating than in an idle spell as long

  Rule: A paused container answers nothing until it is resumed

    @normal
    Scenario: A paused gateway container holds a client's request until it is resumed
      Given the gateway container has been paused
      When a client asks whether the gateway is running
      Then no answer comes within 3 seconds
      And once the container is resumed the client is told "Ollama is running"
