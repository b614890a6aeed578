@aider @needs.aider @needs.capable_model @slow
Feature: Aider's success rate on the stack
  As an engineer deciding whether the stack can replace Ollama for Aider
  I want the capable model's pass rate over a set of small tasks, per engine and edit format
  So that I can compare it with Aider's leaderboard and see a regression as a number

  The tasks follow Aider's benchmark: an instruction and the files to edit; tests the model never sees; a second
  try with the test output when the first fails. Rates count tasks passed by try 1 and by try 2, and the share of
  tasks whose replies all followed the edit format. Rows go to results/<run>/aider/success_rate.csv and a table to
  success_rate.md. A single task's failure is data; the scenario fails only below the minimum this profile expects.

  Rule: The pass rate over the task set is recorded and meets the profile's minimum

    @normal
    Scenario Outline: At least <minimum>% of the task set passes by Aider's second try in the <edit format> edit format
      When Aider attempts every task of the set in the <edit format> edit format
      Then the pass rates are written to the run's aider results and at least <minimum> percent of the tasks pass by try 2

      Examples: in the main job
        | edit format | minimum |
        | whole       | 40      |

      # On mistral.rs a malformed diff makes Aider reflect with ever longer prompts, up to the task's time bound.
      @long
      Examples: in the long run
        | edit format | minimum |
        | diff        | 20      |
