"""The velocity-tracking locomotion task: commands, observations, rewards, terminations, envs."""
