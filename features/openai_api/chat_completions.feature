@openai
Feature: OpenAI chat completions
  As a client written for OpenAI's chat API
  I want /v1/chat/completions to answer in OpenAI's shape and honour OpenAI's parameters
  So that OpenAI SDKs, agents and IDE plugins work against the stack

  Ollama's compatibility layer rewrites the request onto /api/chat: `stop`, `seed` and `max_tokens`
  become options, an absent `temperature` or `top_p` becomes 1.0 (a `top_p` of 0 that was sent stays
  0), `response_format` becomes `format`, and the usage is /api/chat's token counts. The response
  names the model exactly as the client spelled it. OpenAI's API has no field for the context window
  (ollama#4447, #2722, #6286): a /v1 client gets the window set on the model (`PARAMETER num_ctx`),
  and a longer prompt is cut to it, which the usage's prompt tokens show. A reasoning effort other
  than `none` on a model that cannot think is refused; `none` asks for no thinking, and the answer
  stays in `content`.

  Rule: A chat completion carries the answer, why it ended and the token usage

    Scenario: A chat completion carries an answer and the tokens /api/chat counts
      When an OpenAI client asks for a chat completion
      Then the response status is 200
      And the response has the fields of a chat completion
      And the answer is not empty
      And the usage counts the tokens /api/chat counts for the same request

    Scenario: The token budget ends the answer with finish reason "length"
      When an OpenAI client asks for a chat completion limited to 4 tokens
      Then the response status is 200
      And the finish reason is "length"
      And at most 4 completion tokens were used

    Scenario: A stop text ends the chat answer just before it, with finish reason "stop"
      When an OpenAI client asks for a chat completion that stops at a word of its usual answer
      Then the answer is the usual answer cut just before that word
      And the finish reason is "stop"

    Scenario Outline: The model named <form> is echoed as sent
      When an OpenAI client asks for a chat completion naming the model under test <form>
      Then the response status is 200
      And the model name is echoed exactly as the client sent it

      Examples:
        | form                |
        | in upper case       |
        | without a tag       |
        | with the tag latest |

  Rule: Sampling parameters take effect

    @needs.seeded_sampling
    Scenario: At temperature 1 the seed chooses the answer and the same seed repeats it
      When an OpenAI client asks for chat completions at temperature 1 with the seeds 1, 2, 3 and 1 again
      Then the two answers with seed 1 are identical
      And the seeds do not all give the same answer

    Scenario: top_p 0 keeps only the likeliest token, so every seed answers as temperature 0 does
      When an OpenAI client asks for chat completions at temperature 1 and top_p 0 with the seeds 1, 2 and 3
      Then every answer equals the answer at temperature 0

  Rule: response_format holds the answer to JSON

    Scenario: A json_object response format gives an answer that parses as a JSON object
      When an OpenAI client asks for a chat completion with the response format json_object
      Then the response status is 200
      And the answer is a JSON object

    Scenario: A json_schema response format gives an answer valid against the schema
      When an OpenAI client asks for a chat completion with a json_schema response format
      Then the response status is 200
      And the answer is JSON valid against that schema

  Rule: OpenAI's other message forms are read as their plain equivalents

    Scenario Outline: <form> is read as <equivalent>
      When an OpenAI client asks the same question with <form> and with <equivalent>
      Then both completions read the same number of prompt tokens
      And both completions give the same answer

      Examples:
        | form                                 | equivalent                |
        | a developer message                  | a system message          |
        | content as an array of one text part | content as a plain string |

  Rule: What a model cannot do is refused as Ollama refuses it

    Scenario: Reasoning effort "none" on a model that cannot think is answered, the answer in the content
      When an OpenAI client asks a model that cannot think for a chat completion with reasoning effort "none"
      Then the response status is 200
      And the answer is in the content, with no reasoning

    Scenario Outline: Reasoning effort "<effort>" on a model that cannot think is refused
      When an OpenAI client asks a model that cannot think for a chat completion with reasoning effort "<effort>"
      Then the response status is 400
      And the response is an OpenAI error saying the model as sent "does not support thinking"

      Examples:
        | effort  |
        | minimal |
        | low     |
        | medium  |
        | high    |
        | max     |
        | xhigh   |
        | ultra   |

    Scenario: An image as a base64 data URI is refused by a model without vision
      When an OpenAI client sends a model without vision an image as a base64 data URI
      Then the response status is 400
      And the response is an OpenAI error naming the model in full and saying "does not support vision"

    Scenario: An image given by an https URL is refused, as Ollama takes only base64 images
      When an OpenAI client sends a model without vision an image as a https URL
      Then the response status is 400
      And the response is an OpenAI error of type "invalid_request_error" saying "image URLs are not currently supported, please use base64 encoded data instead"

  Rule: The context window of a /v1 client is set on the model, and the usage shows what was read

    @slow
    Scenario: A window set in the model's Modelfile holds on /v1, and the usage shows the prompt was cut to it
      Given a copy of the model under test whose Modelfile sets a window of 256 tokens
      When an OpenAI client sends that copy and the model under test a prompt of about 700 tokens
      Then the response status is 200
      And the copy read no more than its window, and the usage says how many, fewer than the model under test read
