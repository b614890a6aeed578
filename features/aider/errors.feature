@aider @needs.aider
Feature: Aider's errors through the stack leave the repository alone
  As a developer running Aider on my repository
  I want a failed request to be reported and to change nothing
  So that a wrong model name or a stopped stack never leaves half an edit behind

  litellm turns Ollama's 404 into an APIConnectionError and Aider retries it for about a minute; the suite stops
  Aider well after the first error. The repository is judged by its files and its git history.

  Rule: A model the stack does not have is reported, and nothing changes

    @critical @needs.gateway_log
    Scenario Outline: An edit asked of a missing model by the <route> route reports the stack's error and changes nothing
      Given a scratch repository for the task "leap"
      When Aider asks for the task's edit from the model "no-such-model:1b" by the <route> route
      Then Aider reports the stack's error "model 'no-such-model:1b' not found"
      And the gateway answered Aider's requests to <endpoint> with status 404
      And the files and the git history are unchanged

      Examples:
        | route       | endpoint             |
        | ollama_chat | /api/chat            |
        | openai      | /v1/chat/completions |

  Rule: A stack that stops during a request leaves the repository as it was

    @critical @needs.local_stack
    Scenario: A gateway killed while it answers Aider leaves the files and the history as they were
      Given a scratch repository for the task "leap"
      When the gateway Aider talks to is stopped while it answers Aider's edit request
      Then Aider reports that it lost the stack
      And the files and the git history are unchanged
