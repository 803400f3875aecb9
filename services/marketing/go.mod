module siyu.dev/services/marketing

go 1.26.8
