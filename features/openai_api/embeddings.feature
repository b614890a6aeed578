@openai @needs.embeddings
Feature: OpenAI embeddings
  As a retrieval pipeline written for OpenAI's embeddings API
  I want /v1/embeddings to answer in OpenAI's shape
  So that vector stores built on OpenAI's API can use the stack

  Rule: Each input gets a unit-length vector at its own index

    Scenario: Each vector of a batch is the vector of the text at its index
      When an OpenAI client embeds a batch of texts out of sorted order, and each text alone
      Then the response status is 200
      And the response has the fields of an OpenAI embedding list
      And the vectors are indexed 0 to 2 in order
      And every OpenAI vector has unit length
      And each OpenAI vector in the batch is the vector of the text at its index

  Rule: The model is named as the client spelled it

    Scenario Outline: The model named <form> is echoed as sent
      When an OpenAI client embeds a text naming the embedding model <form>
      Then the response status is 200
      And the model name is echoed exactly as the client sent it

      Examples:
        | form                |
        | in upper case       |
        | without a tag       |
        | with the tag latest |

  Rule: A base64 vector is the float vector, packed as OpenAI's SDK unpacks it

    Scenario: Each base64 embedding decodes to the same vector as the float one
      When an OpenAI client embeds the same texts as floats and as base64
      Then the response status is 200
      And each base64 vector decodes to the float vector at its index
