module siyu.dev/services/member

go 1.26.8
