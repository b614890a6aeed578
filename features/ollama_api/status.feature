@ollama
Feature: The server's cloud status
  As a tool such as `ollama launch` or Ollama's app, which asks the server whether cloud models are on offer
  I want /api/status to answer in Ollama's shape
  So that it offers only the models this stack can run

  Ollama's /api/status reports only its cloud policy: whether cloud models are disabled, and what disabled
  them (`env` for OLLAMA_NO_CLOUD, `config`, `both`, or `none`). This stack never reaches ollama.com, so the
  cloud is always disabled; the source says whether OLLAMA_NO_CLOUD asks for that too.

  Scenario: The status reports the cloud disabled, and nothing else
    When a client asks for the server's status
    Then the response status is 200
    And the status reports the cloud disabled, and nothing else
