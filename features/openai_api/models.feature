@openai
Feature: OpenAI model list and retrieval
  As a client written for OpenAI's API, such as an OpenAI SDK or an IDE plugin
  I want /v1/models to list and describe the same models as Ollama's own list
  So that model pickers built on OpenAI's API see what is installed

  Rule: The list names the installed models in OpenAI's shape

    Scenario: The model under test is in the OpenAI model list
      When an OpenAI client lists the models
      Then the response status is 200
      And the response has the fields of an OpenAI model list
      And the OpenAI model list names the same models as Ollama's list

  Rule: A model is retrieved under the id the client asked for

    Scenario Outline: Retrieving the model named <form> echoes the id as sent
      When an OpenAI client retrieves the model under test named <form>
      Then the response status is 200
      And the response has the fields of an OpenAI model
      And the model id is the one the client asked for

      Examples:
        | form                |
        | in upper case       |
        | without a tag       |
        | with the tag latest |

    Scenario: Retrieving an unknown model is a not-found error
      When an OpenAI client retrieves the model "no-such-model"
      Then the response status is 404
      And the response is an OpenAI error of type "not_found_error" saying "model 'no-such-model:latest' not found"
