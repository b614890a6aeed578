@aider @needs.aider
Feature: Aider reaches the stack by both of its routes
  As a developer who pairs with Aider
  I want Aider to reach the stack by litellm's Ollama route and by its OpenAI route
  So that moving from Ollama changes nothing in how I start Aider

  `num_ctx` is Ollama's context window size: how many tokens of prompt and answer the model holds at once.
  Aider talks to Ollama through litellm: `ollama_chat/<model>` posts to /api/chat with `options.num_ctx` sized by
  Aider, and `openai/<model>` posts to /v1/chat/completions. Aider exits 0 even when every call failed, so each
  claim is checked in the gateway's access log, on the wire, and in Aider's chat history.

  Rule: Aider gets its answer by either route, and asking changes nothing

    @critical @slow @needs.capable_model @needs.gateway_log
    Scenario Outline: Aider gets an answer about the code by the <route> route, and the repository is unchanged
      Given a scratch repository for the task "leap"
      When Aider asks "What should is_leap_year return for the year 1900?" by the <route> route
      Then the gateway answered Aider's requests to <endpoint> with status 200
      And Aider's chat history holds the model's reply
      And the files and the git history are unchanged

      Examples:
        | route       | endpoint             |
        | ollama_chat | /api/chat            |
        | openai      | /v1/chat/completions |

  Rule: On the native route Aider sends its context window and reads the stack's counts

    @normal @slow @needs.capable_model @needs.gateway_log
    Scenario: Aider's requests carry its context window size, and the answers stream back as Ollama streams them
      Given a scratch repository for the task "leap"
      When Aider asks "Which years are leap years?" through a recording tap
      Then every chat request Aider sent carried options.num_ctx of at least 8192
      And every streamed answer came back as NDJSON ending in a done chunk with the counts the gateway logged

    @normal @slow @needs.capable_model @needs.gateway_log
    Scenario: The token counts Aider reports are the stack's
      Given a scratch repository for the task "leap"
      When Aider asks "Which years are leap years?" without streaming
      Then the tokens Aider reports are the gateway's prompt_eval_count and eval_count
