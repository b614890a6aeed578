@ollama
Feature: Only an embedding model embeds
  As a retrieval pipeline moving from Ollama to this stack
  I want embeddings from an embedding model and Ollama's answers when I ask the wrong model
  So that my vectors mean what Ollama's mean, and my error handling sees the errors Ollama sends

  Since Ollama 0.30 a model is an embedding model when its GGUF names a pooling type: it lists only the
  `embedding` capability, and runs in llama-server started with --embedding. A completion model asked for
  embeddings is loaded, then answers llama-server's 501 on every embedding endpoint (under /v1 in OpenAI's
  envelope, as `api_error`); an embedding model asked to generate or chat is refused with 400.

  Rule: A completion model answers Ollama's 501 to an embedding request, and keeps generating

    Scenario Outline: The model under test refuses an embedding on <endpoint> with Ollama's 501
      When a client asks the model under test for an embedding on <endpoint>
      Then the response status is 501
      And the error, in its endpoint's own shape, is "This server does not support embeddings. Start it with `--embeddings`"
      And the model under test still answers a prompt

      Examples:
        | endpoint             |
        | POST /api/embed      |
        | POST /api/embeddings |
        | POST /v1/embeddings  |

  @needs.embeddings
  Rule: The embedding model embeds, and only embeds

    Scenario: The embedding model lists the embedding capability and no other
      When a client shows the embedding model
      Then the response status is 200
      And the model's capabilities are exactly "embedding"

    Scenario Outline: The embedding model refuses <endpoint> with Ollama's 400
      When a client asks the embedding model for an answer on <endpoint>
      Then the response status is 400
      And the error message is "<message>"

      Examples:
        | endpoint           | message                                  |
        | POST /api/generate | "all-minilm" does not support generate |
        | POST /api/chat     | "all-minilm" does not support chat     |

    Scenario: Each vector of a batch is the one the model's own weights give
      When a client embeds a batch of 3 texts with the embedding model
      Then the response status is 200
      And each vector points the way the reference computed from the model's weights points
      And the batch counts the tokens of every text, [CLS] and [SEP] included
