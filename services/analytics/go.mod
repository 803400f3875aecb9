module siyu.dev/services/analytics

go 1.26.8
