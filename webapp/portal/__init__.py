"""The citizen portal: fill the generated form, check answers, submit, track."""
