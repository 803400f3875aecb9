module siyu.dev/gateway

go 1.26.8
