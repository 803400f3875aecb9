module siyu.dev/services/messaging

go 1.26.8
