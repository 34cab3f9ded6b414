
alpha
