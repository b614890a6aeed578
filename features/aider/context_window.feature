@aider @needs.aider
Feature: Aider's context window on the stack
  As a developer who gives Aider whole files and long sessions
  I want the stack to report its context window and to fit what does not fit, as Ollama does
  So that a large repository or a long conversation still gets an answer instead of an error

  litellm reads a model's context length from /api/show and Aider sizes its repository map and history by it.
  Aider may still send more than a fixed num_ctx (the context window size a request asks for) holds; Ollama then keeps the end of the prompt and answers.

  Rule: Aider learns the model's context window from the stack

    @critical
    Scenario: Aider sizes its requests by the context length the stack reports
      Given a scratch repository for the task "leap"
      When litellm reads the model's information as Aider does
      Then litellm's context window is the context length /api/show reports for the model

  Rule: More than the window still gets an answer

    @normal @slow @needs.capable_model @needs.gateway_log
    Scenario: A repository map and files larger than the context window are fitted into it and answered
      Given a scratch repository for the task "leap"
      And the repository holds lookup tables larger than a 1024-token context window
      And Aider's model settings fix num_ctx at 1024
      When Aider asks "What does is_leap_year do?" through a recording tap
      Then the gateway fitted Aider's request into 1024 tokens and answered it
      And Aider's chat history holds the model's reply

    @normal @slow @needs.capable_model @needs.gateway_log
    Scenario: A restored conversation longer than the window is fitted into it and answered
      Given a scratch repository for the task "leap"
      And a restored conversation of 40 earlier turns
      And Aider's model settings fix num_ctx at 1024
      When Aider asks "What does is_leap_year do?" through a recording tap
      Then the gateway fitted Aider's request into 1024 tokens and answered it
      And Aider's chat history holds the model's reply
