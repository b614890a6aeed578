@aider @slow @benchmark @needs.aider @needs.capable_model @needs.local_stack @needs.humaneval
Feature: Aider's pass rate on HumanEval, through each engine
  As someone moving from Ollama to the Mistral.rs stack
  I want Aider's pass rate on a public benchmark through mistral.rs and through llama.cpp, the engine Ollama embeds
  So that I know the same model codes as well behind either engine

  Each HumanEval problem is a case run as Aider's benchmark runs one: solution.py holds the signature and docstring,
  it is the only file in the chat, there is no git and no repository map, the hidden check never enters the chat,
  and a failed first try gets a second with the last 50 lines of the check's output. The model answers at
  temperature 0 in the whole edit format, engine after engine within each case. The check runs in a child process
  with time and resource limits. Results go to results/<run>/aider-bench/: tries.csv, summary.json, aider-bench.md
  and pass-rate.png. A model's mistakes are data; a scenario fails only on the rule it states.

  Background:
    Given the cpu-2core profile's HumanEval sample: 6 problems per engine (seed 15), at least 50% passed by try 2, 300 s a case

  Rule: The capable model codes as well through mistral.rs as through llama.cpp

    @critical
    Scenario: The capable model clears the profile's pass rate through each engine
      When Aider attempts the profile's sample of HumanEval with the capable model through each engine
      Then through each engine the capable model passes at least the profile's share of the cases by try 2

    @critical
    Scenario: The two engines' pass rates agree within sampling error
      When Aider attempts the profile's sample of HumanEval with the capable model through each engine
      Then the engines' pass rates agree within sampling error for every model

    @normal
    Scenario: Every response is well formed in the whole format
      When Aider attempts the profile's sample of HumanEval with the capable model through each engine
      Then every response followed the whole edit format

    @normal
    Scenario: No case runs out of time because of the stack
      When Aider attempts the profile's sample of HumanEval with the capable model through each engine
      Then no case ran out of time waiting for the stack

  Rule: The whole set, with SmolLM2 as the floor, runs in the long run and with make aider-bench

    @normal @long
    Scenario: On all 164 problems the capable model clears the profile's pass rate through each engine, with SmolLM2 as the floor
      When Aider attempts all of HumanEval with the capable model, and the profile's floor sample with SmolLM2, through each engine
      Then through each engine the capable model passes at least the profile's share of the cases by try 2
      And the engines' pass rates agree within sampling error for every model
