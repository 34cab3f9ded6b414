
hello
