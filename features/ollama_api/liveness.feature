@ollama @critical
Feature: Liveness and version
  As an operator or an Ollama client
  I want the server to answer the probes Ollama answers
  So that health checks and version gates accept it unchanged

  Health checks probe the root path before anything else. Copilot refuses a server whose
  version is below 0.6.4, and Open WebUI converts each dotted part of the version to a number.

  Rule: The server says it is running the way Ollama does

    Scenario: The root path answers like Ollama
      When a client asks whether the server is running
      Then the response status is 200
      And the response is the plain text "Ollama is running"

    Scenario: A HEAD request to the root path succeeds without a body
      When a client checks the root path with a HEAD request
      Then the response status is 200
      And the response has no body

  Rule: The version is one that version-checking clients accept

    Scenario: The version is numeric and recent enough
      When a client asks for the server version
      Then the response status is 200
      And the response is JSON sent as "application/json; charset=utf-8"
      And the reported version is numeric and at least 0.6.4

  Rule: HEAD probes get Ollama's answer to them

    Scenario Outline: A HEAD request to <path> succeeds without a body
      When a client checks <path> with a HEAD request
      Then the response status is 200
      And the response has no body

      Examples:
        | path         |
        | /api/version |
        | /api/tags    |
