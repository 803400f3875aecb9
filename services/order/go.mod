module siyu.dev/services/order

go 1.26.8
