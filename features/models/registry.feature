@models @needs.registry @needs.local_stack @fixture.models.gateway @fixture.models.registry
Feature: Pulling and pushing models through a registry
  As a team that shares models through a private registry
  I want `ollama push` and `ollama pull` to work against the gateway as they do against Ollama
  So that models move between machines without copying files by hand

  The gateway speaks the Docker Registry HTTP API v2 with Ollama's media types, so any v2 registry stores
  models. Here it is Debian's docker-registry (CNCF distribution 2.8) over plain HTTP on a free loopback port,
  which Ollama reaches only with `insecure`. Pulls are atomic: an interrupted pull lists no model and leaves no
  partial file under a blob's name, and the next pull resumes it.

  Rule: A model pushed by one gateway is pulled whole by another

    Scenario: Two gateways exchange a model through the registry
      Given "smollm2:135m" was pushed to the registry as "team/smol:v1"
      When a second gateway with an empty store pulls "team/smol:v1" from the registry
      Then the pull reports Ollama's progress lines ending in success
      And the second gateway lists the model with the digest the first one pushed
      And the second gateway's store is consistent

    Scenario: Pushing reports each layer, the manifest and success
      Given "smollm2:135m" was copied to the registry name "team/pushed:v1"
      When a client pushes "team/pushed:v1" to the registry
      Then the push reports Ollama's progress lines ending in success
      And the registry serves the manifest of "team/pushed:v1"

  Rule: The official ollama client manages models through the gateway

    Scenario: The official ollama client pushes, pulls, creates, copies, shows, lists and deletes through the gateway
      When the ollama client goes through a model's life with the registry
      Then every call of the ollama client succeeded
      And the store lists what it listed before

  Rule: A pull that cannot finish changes nothing

    Scenario Outline: Pulling from <source> fails with a clear error and changes nothing
      Given the store's listing is noted
      When a client pulls "<model>" from <source>
      Then the pull ends with an error containing "<error>"
      And the store lists what it listed before
      And the store is consistent

      Examples:
        | source                           | model          | error                                          |
        | the registry without the model   | team/absent:v1 | pull model manifest: file does not exist       |
        | a registry that is down          | team/smol:v1   | pull model manifest                            |
        | a server that answers garbage    | team/smol:v1   | not a model manifest                           |
        | the registry without insecure    | team/smol:v1   | http: server gave HTTP response to HTTPS client |

    Scenario: A pull killed mid-download lists no model and resumes
      Given "smollm2:135m" was pushed to the registry as "team/resume:v1"
      When the second gateway is killed while it pulls "team/resume:v1"
      And the second gateway is started again
      Then the second gateway does not list "team/resume:v1"
      And the second gateway's store is consistent
      And pulling "team/resume:v1" again resumes the partial download and succeeds
