module siyu.dev/cmd/siyu

go 1.26.8
