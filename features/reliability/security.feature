@reliability @security
Feature: The gateway is safe to run on a developer's machine
  As a developer running the stack on my laptop
  I want it reachable only from my own machine unless I give it a key, and immune to tricks from web pages
  So that no web page, neighbour or crafted request can use my models or forge my logs

  As Ollama does, the gateway listens on loopback by default, answers 403 to a request naming a foreign Host
  (DNS rebinding), and allows browser origins only from the local host, the app schemes and OLLAMA_ORIGINS.
  With GATEWAY_API_KEY set every route but "/" needs the key, and it will not listen beyond loopback without one.
  Model names that could climb out of the store or carry control characters are refused, and text from a
  request never forges a line of the log.

  Rule: Loopback by default, and never beyond it without a key

    @needs.local_stack
    Scenario: A gateway started with no address listens on loopback only
      When a gateway is started with no address given
      Then it listens on 127.0.0.1 and on no other address

    @needs.local_stack
    Scenario: A gateway asked to listen on every address without a key refuses to start
      When a gateway is started on 0.0.0.0 without an API key
      Then it exits at once saying that it needs GATEWAY_API_KEY

  Rule: Other hosts and foreign web pages are kept out

    Scenario Outline: A request naming the Host <host> is answered with <status>: loopback names only
      When a request names the Host "<host>"
      Then the response status is <status>

      Examples:
        | host                | status |
        | localhost           | 200    |
        | 127.0.0.1:11434     | 200    |
        | [::1]:11434         | 200    |
        | evil.example        | 403    |
        | rebind.attacker.com | 403    |
        | 8.8.8.8:11434       | 403    |

    Scenario Outline: A browser page from <origin> asking to call the chat endpoint is answered: the gateway <verdict> it
      When a browser page from "<origin>" asks to call the chat endpoint
      Then the gateway <verdict> that origin

      Examples:
        | origin                | verdict |
        | http://localhost:3000 | allows  |
        | http://127.0.0.1:8080 | allows  |
        | vscode-webview://abc  | allows  |
        | http://evil.example   | refuses |
        | null                  | refuses |

  Rule: With a key, every route but "/" needs it

    @needs.local_stack @critical
    Scenario: With an API key set, every route but "/" needs the key, and a trusted origin is allowed
      Given a gateway started with an API key and the origin "http://trusted.example"
      When every route of its API description is called with no key, a wrong key and the key
      Then every route but "/" refused the calls without the right key with 401
      And no route refused the right key
      And a browser page from "http://trusted.example" is allowed by that gateway

  Rule: Names from a request never reach a file outside the store

    A store's manifests live at `manifests/<host>/<namespace>/<model>/<tag>`, so a name read as a path could
    climb to the store's grandparent at most. Each request goes to a gateway whose store sits two levels down a
    sandbox directory, and the whole sandbox is compared before and after.

    @needs.local_stack
    Scenario Outline: A model name holding <name> sent to <endpoint> is refused and writes nothing outside the store
      Given a gateway whose store sits in a sandbox directory, its listing and files noted
      When a client names a model holding <name> in a request to <endpoint>
      Then nothing was written in the sandbox outside the store
      And the response status is <status>
      And the store lists what it listed before

      Examples:
        | name                       | endpoint           | status |
        | a path up out of the store | POST /api/show     | 400    |
        | a path up out of the store | POST /api/create   | 400    |
        | a path up out of the store | DELETE /api/delete | 400    |
        | a path up out of the store | POST /api/copy     | 400    |
        | a newline                  | POST /api/generate | 400    |
        | a NUL byte                 | POST /api/chat     | 400    |
        | a terminal escape          | POST /api/embed    | 400    |
        | a slash in the tag         | POST /api/pull     | 400    |

  Rule: Text from a request stays inside the log's lines

    @needs.gateway_log
    Scenario: A model name carrying a forged log line leaves every line of the log whole
      When a hostile client sends a model name with a newline and a forged log line to POST /api/generate
      Then every line the gateway logged for it is one whole record, and none is the forged one
