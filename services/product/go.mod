module siyu.dev/services/product

go 1.26.8
