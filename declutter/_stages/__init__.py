"""The extraction stages: decode, parse, prune, locate, segment, filter, render.

``pipeline.run()`` calls them in order; each module is one stage or one judgement a stage
asks for (the verdict, the confidence, the second opinion), and ``removals`` turns what
the stages dropped into the records ``extract()`` returns. Stages read the rules and
build the model's values; they never import bulk processing, the report or the CLI.
"""
